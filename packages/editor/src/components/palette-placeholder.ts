/**
 * The palette's search hint: all nodes, or those that can take a dropped connection.
 *
 * @example
 * palettePlaceholder(true); // 'Nodes that can take this connection…'
 */
export function palettePlaceholder(forConnection: boolean): string {
  return forConnection ? 'Nodes that can take this connection…' : 'Search nodes by name, category or type…';
}
