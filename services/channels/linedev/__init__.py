"""A local stand-in for LINE (make run, tests): the Messaging API's reply and push endpoints, signed webhooks to
ingest, and a page where a developer types as a citizen (`python -m services.channels.linedev`)."""
