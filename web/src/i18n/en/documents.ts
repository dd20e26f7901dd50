export const documents = {
  title: "Documents",
  category: {
    contract: "Contract",
    identity: "Identity",
    payslip: "Payslip",
    tax: "Tax",
    certificate: "Certificate",
    performance: "Performance",
    medical: "Medical",
    policy: "Policy",
    other: "Other",
  },
  field: {
    title: "Title",
    category: "Category",
    employee_id: "Employee",
    filename: "File name",
    size: "Size",
    version: "Version",
    expires_on: "Expires on",
    created_at: "Uploaded",
  },
};
