-- GridFlock line items and tenant print settings.

ALTER TABLE tenants ADD COLUMN print_settings JSONB;

-- The SKU and plan hash a GRID-CUSTOM line item was computed to need.
ALTER TABLE line_items ADD COLUMN gridflock_sku TEXT;
ALTER TABLE line_items ADD COLUMN plan_hash TEXT;
