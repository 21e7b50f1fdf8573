"""Creation order of nodes and queues: their `seq`, numbered from one database-wide counter per
collection, is what their lists sort by.

ObjectIds do not do: their time is in whole seconds and, within a second, they order by the
creating process, so two nodes created a moment apart by two workers can list the wrong way
round. A counter in the database (an atomic `$inc`) orders creations the way the database saw
them, from any number of processes on any number of hosts.

A node or queue created on purpose (POST) takes its number as it is inserted. Nodes are also
created in passing, by upserts (a job naming new targets, the importer, scripts), which cannot
read a counter: those are numbered right after, in the order they were created. A process that
dies in between leaves a document without `seq`; every worker's background repairs
(paddles_mongo/repairs.py) and scripts/create-indexes number such documents (in `_id` order),
so they stay unnumbered (listed first) for at most one repair interval."""
from pymongo import ASCENDING, UpdateOne

from ..db import CREATION_ORDERED, SEQ

UNNUMBERED = {SEQ: None}  # matches a missing seq, through the seq index


def number(database, collection, ids):
    """Number the documents `ids` (in that order) that have no seq yet. Returns how many."""
    if not ids:
        return 0
    first = database.take_numbers(collection, len(ids))
    result = database.db[collection].bulk_write(
        [UpdateOne({"_id": document_id, **UNNUMBERED}, {"$set": {SEQ: first + offset}})
         for offset, document_id in enumerate(ids)], ordered=False)
    return result.modified_count


def unnumbered_ids(database, collection):
    return [document["_id"] for document in
            database.db[collection].find(UNNUMBERED, {"_id": 1}).sort("_id", ASCENDING)]


def number_unnumbered(database):
    """Number every node and queue left without seq. Returns {collection: how many}."""
    return {collection: number(database, collection, unnumbered_ids(database, collection))
            for collection in CREATION_ORDERED}


def number_upserted(database, collection, upserted):
    """Number the documents a bulk upsert created (`upserted`: {request index: _id}, as in
    BulkWriteResult.upserted_ids), in the order of its requests."""
    return number(database, collection, [upserted[index] for index in sorted(upserted or {})])


def bulk_upserted(error):
    """{request index: _id} of the documents a failed unordered bulk write still created."""
    return {entry["index"]: entry["_id"] for entry in error.details.get("upserted", [])}
