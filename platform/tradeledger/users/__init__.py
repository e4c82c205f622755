"""People inside each member: users and their roles, approval policies, approval requests and the audit log."""
