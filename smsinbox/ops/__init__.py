"""Operations: health checks, Prometheus metrics, JSON logs and the task-lease reaper (README "Operations")."""
