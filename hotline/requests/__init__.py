"""hotline.requests: request statuses for the IVR's "status of my request" (hotline 109).

The statuses of a hotline are imported from a CSV file (`import_statuses`, all or nothing,
replacing the hotline's previous statuses); the IVR asks `request_status` with the number the
caller keyed in.
"""

from hotline.requests.errors import RequestFileError, RequestsDatabaseError, RequestsError
from hotline.requests.importer import ImportReport, import_statuses, is_request_number, is_status
from hotline.requests.lookup import request_status

__all__ = [
    "ImportReport",
    "RequestFileError",
    "RequestsDatabaseError",
    "RequestsError",
    "import_statuses",
    "is_request_number",
    "is_status",
    "request_status",
]
