"""The team of an organization: roles (``roles``), invitations (``models``, ``services``) and who may see them
(``selectors``). Deactivating a member also releases their conversations: ``conversations.team``."""
