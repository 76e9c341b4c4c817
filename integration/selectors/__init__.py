"""Read-side queries for the faces (HackSoft "selectors"): the storefront API's, the staff
figures (``staff``) and the admin console's (``console``). Every customer-facing query takes
the customer and filters by it, which is what makes another customer's objects
invisible (not merely forbidden)."""
