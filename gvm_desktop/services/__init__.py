"""Use cases. Every call takes the workspace, checks the permission, does the work and
appends its access-log entry in the same transaction."""
