"""Open-account invoices: their versions, the data match of order, invoice and transport/delivery data."""
