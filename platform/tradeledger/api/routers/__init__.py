"""One router per resource; routers hold no business logic."""
