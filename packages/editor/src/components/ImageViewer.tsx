import { useCallback, useEffect, useRef } from 'react';
import { useBlobUrl } from '../images';
import { useEditorContext } from '../react/context';
import type { ViewerState } from './viewer-context';

const extension = (mime: string) => (mime.split('/')[1] ?? 'bin').replace(/[^a-z0-9]+/g, '');

/**
 * A node's images at full size: ← and → (or the buttons) step through them, Download saves the one shown
 * (a content-addressed file name), Escape or the backdrop closes and gives the focus back.
 */
export function ImageViewer(props: { state: ViewerState; onChange(state: ViewerState | undefined): void }) {
  const { runtime } = useEditorContext();
  const { images, index, title } = props.state;
  const image = images[index];
  const src = useBlobUrl(runtime, image ?? { hash: '', mime: '' });
  const dialog = useRef<HTMLDivElement>(null);
  const opener = useRef<Element | null>(document.activeElement);
  useEffect(() => {
    dialog.current?.focus();
    const back = opener.current;
    return () => {
      if (back instanceof HTMLElement && back.isConnected) back.focus();
    };
  }, []);
  const step = useCallback(
    (d: number) => props.onChange({ ...props.state, index: (index + d + images.length) % images.length }),
    [props, index, images.length],
  );
  if (!image) return null;
  const name = `${title.replace(/[^A-Za-z0-9._-]+/g, '-')}-${index + 1}-${image.hash.slice(0, 8)}.${extension(image.mime)}`;
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: the backdrop is the mouse's way out; Escape on the dialog is the keyboard's
    <div className="lf-viewer__backdrop" onClick={() => props.onChange(undefined)}>
      <div
        ref={dialog}
        className="lf-viewer"
        role="dialog"
        aria-modal="true"
        aria-label={`${title}: image ${index + 1} of ${images.length}`}
        tabIndex={-1}
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          e.stopPropagation();
          if (e.key === 'Escape') props.onChange(undefined);
          else if (e.key === 'ArrowRight') step(1);
          else if (e.key === 'ArrowLeft') step(-1);
        }}
      >
        <div className="lf-viewer__bar">
          <span className="lf-viewer__title">
            {title} · {index + 1} / {images.length}
          </span>
          <button
            type="button"
            className="lf-button lf-button--small"
            aria-label="Previous image"
            disabled={images.length < 2}
            onClick={() => step(-1)}
          >
            ←
          </button>
          <button
            type="button"
            className="lf-button lf-button--small"
            aria-label="Next image"
            disabled={images.length < 2}
            onClick={() => step(1)}
          >
            →
          </button>
          {src && (
            <a className="lf-button lf-button--small" href={src} download={name}>
              Download
            </a>
          )}
          <button
            type="button"
            className="lf-button lf-button--small"
            aria-label="Close"
            onClick={() => props.onChange(undefined)}
          >
            ×
          </button>
        </div>
        {src ? (
          <img className="lf-viewer__image" src={src} alt={`${title}, output ${index + 1}`} />
        ) : (
          <div className="lf-viewer__image lf-thumb--loading" />
        )}
      </div>
    </div>
  );
}
