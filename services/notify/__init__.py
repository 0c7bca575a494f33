"""Notify: alerts to district chiefs that arrive once, escalate when ignored, and close the loop."""
