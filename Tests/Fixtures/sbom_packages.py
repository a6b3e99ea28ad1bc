#!/usr/bin/env python3
"""Lists the packages of an SBOM as peers nobody here wrote read it.

usage: sbom_packages.py [--schema-valid] [--exclude-described] FILE

Bulla's SBOM reader is compared against this output. The file is read only
through spdx-tools (SPDX 2.x JSON, chosen when the top level has
"spdxVersion") or cyclonedx-python-lib (CycloneDX JSON, chosen when it has
"bomFormat"). Stdout is one line: a JSON array, `json.dumps(sort_keys=True)`,
of {"name", "version", "purl", "license", "supplier"} (+ "group", see below),
sorted by name, version, purl (null sorts as ""), then the whole record.

SPDX: one record per entry of document.packages, in a document that
  spdx-tools parsed.
  version  = versionInfo, or null.
  purl     = locator of the first externalRef whose referenceType is "purl",
             verbatim, or null.
  license  = licenseConcluded if it is an expression, else licenseDeclared if
             it is, else null (NOASSERTION, NONE and absent count as absent).
             Printed as str() of spdx-tools' parsed expression, which
             normalises: "mit" -> "MIT", "GPL-2.0+" -> "GPL-2.0-or-later",
             redundant parentheses dropped, and known aliases such as
             "LicenseRef-Apache" -> "Apache-2.0".
  supplier = the Actor's name (no "Organization: "/"Person: " prefix, no
             email), null for NOASSERTION or absent.
CycloneDX: one record per component of bom.components and, recursively, of
  each component's own components. metadata.component (the BOM's subject,
  e.g. the image itself) and anything nested under it are NOT listed.
  name     = component name only; "group" is a separate key, present only
             when the component has a group (SPDX records never have it).
  version  = version, or null.
  purl     = str() of the library's PackageURL (canonical form: type in
             lower case, qualifiers sorted, pypi names normalised), or null.
  license  = the licence choice as one SPDX-style expression string: a lone
             `expression` verbatim; otherwise each `license` entry's id (else
             its name, verbatim, possibly not a valid SPDX id), plus any
             expression (pre-1.5 documents may mix them) in parentheses,
             sorted and joined with " AND ". The schema leaves the relation
             between several entries unstated; AND ("all of these apply") is
             what SPDX producers such as syft write for the same data. null
             when there are no licences.
  supplier = supplier.name, or null.
  The library keeps components in a set: two identical components collapse
  into one record.

--exclude-described  SPDX: also drop packages that SPDXRef-DOCUMENT DESCRIBES
                     (the SBOM's subject, like CycloneDX metadata.component).
--schema-valid       also require the document to pass spdx-tools' full
                     validation, or cyclonedx-python-lib's strict JSON schema
                     for the document's specVersion.
exit: 0 listed; 2 usage or neither format; 3 the library refused the document
(or, with --schema-valid, found it invalid), reason on stderr.
"""
import json, sys, warnings


def refuse(reason):
    print(f"sbom_packages: refused: {reason}", file=sys.stderr)
    sys.exit(3)


def spdx_packages(path, schema_valid, exclude_described):
    from license_expression import LicenseExpression
    from spdx_tools.spdx.model import Actor, RelationshipType
    from spdx_tools.spdx.parser.json import json_parser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    try:
        doc = json_parser.parse_from_file(path)
    except Exception as e:  # SPDXParsingError, or a type error deeper down
        refuse(f"spdx-tools: {type(e).__name__}: {getattr(e, 'messages', e)}")
    if schema_valid:
        problems = validate_full_spdx_document(doc)
        if problems:
            refuse("spdx-tools validation: " + "; ".join(p.validation_message for p in problems))

    described = set()
    if exclude_described:
        for r in doc.relationships:
            if r.spdx_element_id == "SPDXRef-DOCUMENT" and r.relationship_type == RelationshipType.DESCRIBES:
                described.add(r.related_spdx_element_id)
            if r.related_spdx_element_id == "SPDXRef-DOCUMENT" and r.relationship_type == RelationshipType.DESCRIBED_BY:
                described.add(r.spdx_element_id)

    def expression(value):  # NOASSERTION / NONE / None are not expressions
        return str(value) if isinstance(value, LicenseExpression) else None

    for p in doc.packages:
        if p.spdx_id in described:
            continue
        purl = next((r.locator for r in p.external_references if r.reference_type == "purl"), None)
        yield {
            "name": p.name,
            "version": p.version,
            "purl": purl,
            "license": expression(p.license_concluded) or expression(p.license_declared),
            "supplier": p.supplier.name if isinstance(p.supplier, Actor) else None,
        }


def cyclonedx_packages(text, data, schema_valid):
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.license import LicenseExpression
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    if schema_valid:
        try:
            error = JsonStrictValidator(SchemaVersion.from_version(str(data.get("specVersion")))).validate_str(text)
        except Exception as e:  # unknown specVersion
            refuse(f"cyclonedx-python-lib schema: {type(e).__name__}: {e}")
        if error is not None:  # first line of jsonschema's report; the rest repeats the document
            refuse(f"cyclonedx-python-lib schema: {str(error).splitlines()[0][:500]}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecation notes about pre-1.5 fields
            bom = Bom.from_json(data)
    except Exception as e:
        refuse(f"cyclonedx-python-lib: {type(e).__name__}: {e}")

    def license_of(component):
        licences = list(component.licenses)
        if len(licences) == 1 and isinstance(licences[0], LicenseExpression):
            return licences[0].value
        terms = sorted(
            f"({li.value})" if isinstance(li, LicenseExpression) else (li.id or li.name)
            for li in licences
        )
        return " AND ".join(terms) or None

    def walk(components):
        for c in components:
            record = {
                "name": c.name,
                "version": c.version,
                "purl": str(c.purl) if c.purl else None,
                "license": license_of(c),
                "supplier": c.supplier.name if c.supplier else None,
            }
            if c.group:
                record["group"] = c.group
            yield record
            yield from walk(c.components)

    yield from walk(bom.components)


def main(argv):
    flags = {a for a in argv if a.startswith("--")}
    files = [a for a in argv if not a.startswith("--")]
    if len(files) != 1 or flags - {"--schema-valid", "--exclude-described"}:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    path = files[0]
    text = open(path, encoding="utf-8").read()
    try:
        data = json.loads(text)
    except ValueError as e:
        refuse(f"not JSON: {e}")
    if isinstance(data, dict) and "spdxVersion" in data:
        records = spdx_packages(path, "--schema-valid" in flags, "--exclude-described" in flags)
    elif isinstance(data, dict) and "bomFormat" in data:
        records = cyclonedx_packages(text, data, "--schema-valid" in flags)
    else:
        print("sbom_packages: neither SPDX (spdxVersion) nor CycloneDX (bomFormat) JSON", file=sys.stderr)
        return 2
    records = list(records)
    records.sort(key=lambda r: (r["name"], r["version"] or "", r["purl"] or "", json.dumps(r, sort_keys=True)))
    print(json.dumps(records, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
