"""Information assets with their classification (格付) and handling restrictions (取扱制限, R7 §1.2):
pages, API and services of the cloud app. The rules themselves live in kijun.classification."""
