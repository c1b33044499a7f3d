"""The application's stylesheet: a few rules by object name, nothing global beyond that.

Kept in code (not a resource file) so a packaged build can never run without it.
"""

from __future__ import annotations

STYLESHEET = """
QLabel#demoBanner {
    background: #b3261e;
    color: white;
    font-weight: bold;
    padding: 6px;
    border-radius: 3px;
}
QLabel#errorLabel {
    color: #b3261e;
    font-weight: bold;
}
QLabel#validationHint[invalid="true"] {
    color: #b3261e;
}
QLabel#heading {
    font-size: 16pt;
    font-weight: bold;
}
QLabel#subheading {
    font-size: 12pt;
    font-weight: bold;
}
QLabel#note {
    color: #444444;
}
QFrame#userHeader {
    background: #eef1f5;
    border-bottom: 1px solid #c8ced6;
}
QLabel#userName {
    font-size: 13pt;
    font-weight: bold;
}
QFrame#panel {
    border: 1px solid #c8ced6;
    border-radius: 4px;
    background: #fafbfc;
}
QLabel#countValue {
    font-size: 22pt;
    font-weight: bold;
}
QLabel#countName {
    color: #444444;
}
QFrame#placeholder {
    border: 1px dashed #9aa3ad;
    border-radius: 4px;
}
QLabel#verifyResult[state="intact"] {
    color: #14532d;
    background: #dcefdf;
    border: 1px solid #6fae7b;
    border-radius: 3px;
    padding: 4px 8px;
    font-weight: bold;
}
QLabel#verifyResult[state="broken"] {
    color: white;
    background: #b3261e;
    border-radius: 3px;
    padding: 4px 8px;
    font-weight: bold;
}
QLabel#confirmNames {
    font-weight: bold;
    padding: 4px 0px 4px 8px;
}
QLabel#noVault {
    background: #fff4e5;
    border: 1px solid #e0a040;
    padding: 8px;
}
"""
