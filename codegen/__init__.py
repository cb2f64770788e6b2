"""Questline's code generator: ``openapi.yaml`` -> intermediate model -> SDK sources."""
