// Apart from the viewer itself, which loads on first use: a thumbnail needs only this context.
import { createContext, useContext } from 'react';
import type { ImageRef } from '../images';

/** The images a viewer steps through, which one it shows, and whose they are. */
export interface ViewerState {
  images: readonly ImageRef[];
  index: number;
  title: string;
}

/** Opens the viewer from a node's thumbnail (undefined outside an editor layout). */
export const ViewerContext = createContext<((state: ViewerState) => void) | undefined>(undefined);

/** The function a thumbnail calls to open the viewer. */
export function useOpenViewer() {
  return useContext(ViewerContext);
}
