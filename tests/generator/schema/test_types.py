"""Column type parsing: every accepted spelling, its canonical DDL and cast, every rejection."""

from __future__ import annotations

import pytest
from batchrepo_codegen.schema.types import ParsedType, TypeSyntaxError, parse_type

ENUMS = ("mood", "Person Type")


@pytest.mark.parametrize(
    ("text", "kind", "ddl", "cast"),
    [
        ("uuid", "uuid", "uuid", "uuid"),
        ("bool", "bool", "boolean", "bool"),
        ("BOOLEAN", "bool", "boolean", "bool"),
        ("smallint", "int2", "smallint", "int2"),
        ("int2", "int2", "smallint", "int2"),
        ("integer", "int4", "integer", "int4"),
        ("int", "int4", "integer", "int4"),
        ("Int4", "int4", "integer", "int4"),
        ("bigint", "int8", "bigint", "int8"),
        ("int8", "int8", "bigint", "int8"),
        ("numeric", "numeric", "numeric", "numeric"),
        ("decimal", "numeric", "numeric", "numeric"),
        ("real", "float4", "real", "float4"),
        ("float4", "float4", "real", "float4"),
        ("double", "float8", "double precision", "float8"),
        ("double precision", "float8", "double precision", "float8"),
        ("DOUBLE   PRECISION", "float8", "double precision", "float8"),
        ("float8", "float8", "double precision", "float8"),
        ("text", "text", "text", "text"),
        ("bytea", "bytea", "bytea", "bytea"),
        ("date", "date", "date", "date"),
        ("time", "time", "time", "time"),
        ("timestamp", "timestamp", "timestamp", "timestamp"),
        ("timestamptz", "timestamptz", "timestamptz", "timestamptz"),
        ("timestamp with time zone", "timestamptz", "timestamptz", "timestamptz"),
        ("interval", "interval", "interval", "interval"),
        ("jsonb", "jsonb", "jsonb", "jsonb"),
    ],
)
def test_scalar_types_have_one_canonical_spelling(
    text: str, kind: str, ddl: str, cast: str
) -> None:
    parsed = parse_type(text, ENUMS)
    assert (parsed.kind, parsed.ddl, parsed.cast, parsed.is_array) == (kind, ddl, cast, False)
    assert (parsed.length, parsed.precision, parsed.scale, parsed.enum) == (None,) * 4


def test_varchar_keeps_its_length_and_casts_to_text() -> None:
    assert parse_type("varchar( 100 )", ENUMS) == ParsedType(
        kind="text",
        is_array=False,
        length=100,
        fixed_length=False,
        precision=None,
        scale=None,
        enum=None,
        ddl="varchar(100)",
        cast="text",
    )


@pytest.mark.parametrize("text", ["character varying(7)", "VARCHAR(7)", "varchar (7)"])
def test_varchar_spellings(text: str) -> None:
    parsed = parse_type(text, ENUMS)
    assert (parsed.ddl, parsed.length, parsed.fixed_length) == ("varchar(7)", 7, False)


@pytest.mark.parametrize("text", ["char(2)", "character(2)", "CHAR( 2 )"])
def test_char_is_fixed_length_text(text: str) -> None:
    parsed = parse_type(text, ENUMS)
    assert (parsed.kind, parsed.ddl, parsed.cast) == ("text", "char(2)", "text")
    assert (parsed.length, parsed.fixed_length) == (2, True)


@pytest.mark.parametrize(
    ("text", "ddl", "precision", "scale"),
    [
        ("numeric(15,2)", "numeric(15,2)", 15, 2),
        ("decimal( 15 , 2 )", "numeric(15,2)", 15, 2),
        ("numeric(5)", "numeric(5,0)", 5, 0),
        ("numeric(1000,1000)", "numeric(1000,1000)", 1000, 1000),
    ],
)
def test_numeric_precision_and_scale(text: str, ddl: str, precision: int, scale: int) -> None:
    parsed = parse_type(text, ENUMS)
    assert (parsed.ddl, parsed.precision, parsed.scale, parsed.cast) == (
        ddl,
        precision,
        scale,
        "numeric",
    )


@pytest.mark.parametrize(
    ("text", "ddl", "cast"),
    [
        ("integer[]", "integer[]", "int4"),
        ("int []", "integer[]", "int4"),
        ("text[ ]", "text[]", "text"),
        ("varchar(5)[]", "varchar(5)[]", "text"),
        ("numeric(6,2)[]", "numeric(6,2)[]", "numeric"),
        ("mood[]", '"mood"[]', '"mood"'),
    ],
)
def test_arrays_keep_the_element_cast(text: str, ddl: str, cast: str) -> None:
    parsed = parse_type(text, ENUMS)
    assert (parsed.is_array, parsed.ddl, parsed.cast) == (True, ddl, cast)


def test_enum_names_are_quoted_and_case_sensitive() -> None:
    parsed = parse_type("Person Type", ENUMS)
    assert (parsed.kind, parsed.enum, parsed.ddl, parsed.cast) == (
        "enum",
        "Person Type",
        '"Person Type"',
        '"Person Type"',
    )
    with pytest.raises(TypeSyntaxError, match=r"^unknown type 'MOOD'; did you mean 'mood'\?$"):
        parse_type("MOOD", ENUMS)


#: Rejected type spellings and what the parser says; each case is named by its text.
REJECTED = [
    ("uuuid", "unknown type 'uuuid'; did you mean 'uuid'?"),
    ("strng", "unknown type 'strng'; did you mean 'text'?"),
    ("string", "unknown type 'string'; did you mean 'text'?"),
    ("datetime", "unknown type 'datetime'; did you mean 'timestamptz'?"),
    ("json", "unknown type 'json'; did you mean 'jsonb'?"),
    ("moood", "unknown type 'moood'; did you mean 'mood'?"),
    (
        "xyzzy",
        "unknown type 'xyzzy'; known: uuid, boolean, smallint, integer, bigint, "
        "numeric(p,s), real, double precision, text, varchar(n), char(n), bytea, date, time, "
        "timestamp, timestamptz, interval, jsonb; enums: Person Type, mood",
    ),
    ("varchar", "varchar needs a length: varchar(n), or use text"),
    ("char", "char needs a length: char(n), or use text"),
    (
        "varchar(0)",
        "varchar(0): length must be between 1 and 10485760; use text for longer values",
    ),
    (
        "varchar(10485761)",
        "varchar(10485761): length must be between 1 and 10485760; use text for longer values",
    ),
    ("varchar(1,2)", "varchar takes one parameter, the length: varchar(n)"),
    ("varchar(n)", "varchar(n): parameters must be whole numbers, e.g. varchar(100)"),
    ("varchar(-1)", "varchar(-1): parameters must be whole numbers, e.g. varchar(100)"),
    ("varchar(\u0661)", "varchar(\u0661): parameters must be whole numbers, e.g. varchar(100)"),
    ("numeric(20,25)", "numeric(20,25): scale must be between 0 and precision"),
    ("numeric(0)", "numeric(0): precision must be between 1 and 1000"),
    ("numeric(1001,2)", "numeric(1001,2): precision must be between 1 and 1000"),
    ("numeric(1,2,3)", "numeric takes (precision) or (precision,scale), not 3 parameters"),
    ("numeric(a,b)", "numeric(a,b): parameters must be whole numbers, e.g. numeric(15,2)"),
    ("integer(4)", "integer takes no parameters: write integer"),
    ("mood(3)", "enum type 'mood' takes no parameters: write mood"),
    ("jsonb[]", "arrays of jsonb are not supported: store a JSON list in jsonb"),
    (
        "integer[][]",
        "nested arrays are not supported: 'integer[][]' has more than one dimension; "
        "use one [] or store the structure in jsonb",
    ),
    ("integer[3]", "array sizes are not supported (PostgreSQL ignores them): write integer[]"),
    ("varchar(10", "malformed type 'varchar(10': check its parentheses and brackets"),
    ("varchar(10)x", "malformed type 'varchar(10)x': check its parentheses and brackets"),
    ("   ", "type is empty; write a type such as text, integer or uuid"),
]


@pytest.mark.parametrize(
    ("text", "message"),
    REJECTED,
    ids=[text.strip() or "blank" for text, _ in REJECTED],
)
def test_rejected_types_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(TypeSyntaxError) as raised:
        parse_type(text, ENUMS)
    assert str(raised.value) == message


def test_a_trailing_newline_is_whitespace_not_part_of_the_name() -> None:
    # re.match('^...$') would accept 'uuid\n' as the name itself; the parser strips it instead.
    assert parse_type("uuid\n", ENUMS).ddl == "uuid"
    with pytest.raises(TypeSyntaxError, match=r"^unknown type 'mood x'"):
        parse_type("mood x", ENUMS)


def test_type_syntax_error_is_a_value_error() -> None:
    assert issubclass(TypeSyntaxError, ValueError)
