"""Choosing a password in the window: the strength meter, and the dialog that changes one's own password.

The meter says what the product's one password rule (core/passwords.check_password) says
of what is typed, as it is typed; the bar shows zxcvbn's score, the measure that rule
applies, held below the pass mark whenever the rule refuses (a password holding the
username scores well and is still refused). The service checks again on OK: the meter
only spares a round trip through Argon2id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QProgressBar, QVBoxLayout, QWidget

from gvm_desktop.core.errors import AuthenticationError, ValidationError
from gvm_desktop.core.passwords import MAX_LENGTH, MIN_LENGTH, MIN_ZXCVBN_SCORE, check_password, strength
from gvm_desktop.gui.common.dialogs import FormDialog
from gvm_desktop.gui.common.form_fields import limit_line
from gvm_desktop.gui.common.widgets import note

if TYPE_CHECKING:
    from gvm_desktop.core.errors import GvmError
    from gvm_desktop.gui.common.operations import SessionOps

_TOP_SCORE = 4  # zxcvbn scores 0 to 4
_WORDS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")


def password_field(parent: QWidget, name: str) -> QLineEdit:
    field = QLineEdit(parent)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    limit_line(field, MAX_LENGTH)  # a pasted password cut short would be a different password, unseen
    # No input method, no prediction: a password typed here must not be remembered by the desktop.
    field.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
                              | Qt.InputMethodHint.ImhNoPredictiveText)
    return field


def password_verdict(password: str, username: str) -> tuple[int, str]:
    """(bar from 0 to 4, words): the rule's own refusal, or that it passes and how strongly."""
    if not password:
        return 0, f"At least {MIN_LENGTH} characters; a passphrase of several words is easiest to remember."
    try:
        check_password(password, username)
    except ValidationError as refusal:
        score = min(strength(password, username), MIN_ZXCVBN_SCORE - 1) if len(password) >= MIN_LENGTH else 0
        return score, f"{_WORDS[score]}: {refusal}"
    score = max(strength(password, username), MIN_ZXCVBN_SCORE)
    return score, f"{_WORDS[score]}: this password meets the rule."


class StrengthMeter(QWidget):
    """A bar and a line of words under a new-password field, following what is typed."""

    def __init__(self, field: QLineEdit, username: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._field = field
        self.username = username
        self.bar = QProgressBar(self)
        self.bar.setRange(0, _TOP_SCORE)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        self.bar.setAccessibleName("Password strength")
        self.words = note("", self)
        self.words.setObjectName("passwordStrength")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.bar)
        layout.addWidget(self.words)
        field.textChanged.connect(lambda _text: self.update_verdict())
        self.update_verdict()

    def set_username(self, username: str) -> None:
        self.username = username
        self.update_verdict()

    def update_verdict(self) -> None:
        score, words = password_verdict(self._field.text(), self.username)
        self.bar.setValue(score)
        self.words.setText(words)
        self.bar.setAccessibleDescription(words)

    @property
    def passes(self) -> bool:
        return self.bar.value() >= MIN_ZXCVBN_SCORE


class OwnPasswordDialog(FormDialog):
    """Current password, the new one twice, the meter; OK asks the service, which checks the current one first."""

    def __init__(self, ops: SessionOps, parent: QWidget | None) -> None:
        super().__init__("Change your password", parent, ok_text="&Change password", ops=ops)
        self.notice = note(f"Signed in as {ops.session.username}. Your data keys stay as they are: only your own "
                           "key slot is rewritten.", self)
        self.current = password_field(self, "Current password")
        self.new = password_field(self, "New password")
        self.repeat = password_field(self, "Repeat the new password")
        self.meter = StrengthMeter(self.new, ops.session.username, self)
        form = QFormLayout()
        for text, field in (("C&urrent password:", self.current), ("&New password:", self.new),
                            ("&Repeat new password:", self.repeat)):
            label = QLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, field)
            if field is self.new:
                form.addRow("", self.meter)
        self.body.addWidget(self.notice)
        self.body.addLayout(form)
        self.resize(460, 260)

    def submit(self) -> None:
        current, new = self.current.text(), self.new.text()
        if not current:
            self.error_label.show_message("Type your current password.")
            self.current.setFocus()
            return
        if new != self.repeat.text():
            self.error_label.show_message("The new password and its repeat differ: type them again.")
            self.repeat.clear()
            self.repeat.setFocus()
            return
        self.send(lambda s, ws: s.accounts.change_own_password(ws, current, new),
                  failed=self._refused, progress="Changing your password")

    def _refused(self, error: GvmError) -> None:
        if type(error) is AuthenticationError:  # not AccountLocked, which says itself how long to wait
            # The slot's refusal is worded for the sign-in window; here only the current password was asked.
            self.error_label.show_message("Your current password is not right: nothing was changed.")
            self.current.clear()  # a wrong current password is typed again, not left to be retried blindly
            self.current.setFocus()
        else:
            self.error_label.show_error(error)
            self.new.setFocus()

    def done(self, result: int) -> None:
        for field in (self.current, self.new, self.repeat):
            field.clear()  # nothing of a password outlives the dialog
        super().done(result)


def change_own_password(parent: QWidget, ops: SessionOps) -> QDialog:
    """Open (not modal: the window stays usable) the dialog changing the signed-in user's own password."""
    dialog = OwnPasswordDialog(ops, parent)
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.finished.connect(lambda _result: dialog.deleteLater())  # answered, it goes: nothing lingers to be wiped
    adopt = getattr(parent, "adopt", None)
    if callable(adopt):
        adopt(dialog)  # Ctrl+L inside it locks, like every other form of the page
    dialog.show()
    return dialog
