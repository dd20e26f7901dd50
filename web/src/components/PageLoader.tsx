import { Skeleton, Stack } from "@mantine/core";

/** The skeleton of a page while it loads. */
export function PageLoader() {
  return (
    <Stack role="status" aria-label="Loading" aria-live="polite">
      <Skeleton height={32} width="40%" />
      <Skeleton height={20} />
      <Skeleton height={20} />
      <Skeleton height={20} width="80%" />
    </Stack>
  );
}
