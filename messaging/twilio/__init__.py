"""Everything that speaks Twilio: webhook signatures and views, payload parsing, the REST client."""
