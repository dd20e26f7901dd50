// PLACEHOLDER: replaced by the page's real implementation before this lands.
export function NewEmployeePage() {
  return null;
}
export function EditEmployeePage() {
  return null;
}
