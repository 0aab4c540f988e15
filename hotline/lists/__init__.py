"""hotline.lists: recipients lists for the IVR's "Am I on the list?" self-service.

A list is imported from a CSV file (`import_list`); every IIN in it is stored only as its
keyed hash (`hotline.ivr.iin.IinHasher`). The IVR asks `is_listed` with the caller's IIN.
"""

from hotline.lists.errors import InvalidIinError, ListFileError, ListsError, UnknownListError
from hotline.lists.importer import ImportReport, SkippedLine, import_list
from hotline.lists.lookup import ListedResult, is_listed

__all__ = [
    "ImportReport",
    "InvalidIinError",
    "ListFileError",
    "ListedResult",
    "ListsError",
    "SkippedLine",
    "UnknownListError",
    "import_list",
    "is_listed",
]
