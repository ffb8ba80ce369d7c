"""Cases (申报案件): drafts, the engine and the effects it applies, visibility, eligibility,
attachments, the case page."""
