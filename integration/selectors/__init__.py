"""Read-side queries for the storefront API (HackSoft "selectors"): every customer-facing
query takes the customer and filters by it, which is what makes another customer's objects
invisible (not merely forbidden)."""
