/** Resolves once `check` holds, looking every 2 ms for 5 s of real time; throws when it never does. */
export async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2500; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error('the condition never held');
}
