"""The conformance kit (docs/conformance.md): scripted servers, runners, comparison, reports."""
