"""Markets in the schema: `localization`, `markets`, staff changes to markets and to prices per currency."""
