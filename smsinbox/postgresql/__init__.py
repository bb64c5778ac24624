"""smsinbox's database backend (``ENGINE = "smsinbox.postgresql"``): Django's PostgreSQL backend whose
connection acquisition obeys the request's database deadline (``smsinbox.deadline``). See ``base``."""
