"""Store-first intake of Twilio's webhooks: every signed post kept until it is applied (README "Webhook intake")."""
