import { byId, setText } from './dom.js';

/**
 * Asks before a destructive action, in the page's `<dialog id="confirm">`: a real modal that
 * traps focus, closes on Escape (as "cancel") and gives focus back to the button that asked.
 */
export type Confirm = (question: {
  title: string;
  text: string;
  confirmLabel: string;
}) => Promise<boolean>;

export function createConfirm(): Confirm {
  const dialog = byId('confirm', HTMLDialogElement);
  const title = byId('confirm-title', HTMLHeadingElement);
  const text = byId('confirm-text', HTMLParagraphElement);
  const ok = byId('confirm-ok', HTMLButtonElement);
  const cancel = byId('confirm-cancel', HTMLButtonElement);

  return (question) =>
    new Promise<boolean>((resolve) => {
      setText(title, question.title);
      setText(text, question.text);
      setText(ok, question.confirmLabel);
      dialog.returnValue = 'cancel';
      dialog.addEventListener(
        'close',
        () => {
          resolve(dialog.returnValue === 'confirm');
        },
        { once: true },
      );
      dialog.showModal();
      // The safe choice has focus: Enter on a reflex does not retract anything.
      cancel.focus();
    });
}
