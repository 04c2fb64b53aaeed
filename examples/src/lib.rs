//! Runnable examples of kms-rotation; see the `[[example]]` targets.
