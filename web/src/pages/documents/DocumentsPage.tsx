// PLACEHOLDER: replaced by the page's real implementation before this lands.
export function DocumentsPage() {
  return null;
}
