import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import { fullName } from "../lib/queries";
import { SearchSelect, type SearchSelectProps } from "./SearchSelect";

/** Pick an employee by typing part of a name, email or number: the server searches
 * (no list of everyone is loaded). */
export function EmployeePicker({ value, ...props }: SearchSelectProps) {
  const selected = useQuery({
    queryKey: ["employee-name", value],
    queryFn: async () =>
      unwrap(await api.GET("/api/v1/employees/{employee_id}", { params: { path: { employee_id: value ?? "" } } })),
    enabled: value !== null,
    staleTime: 300_000,
  });
  return (
    <SearchSelect
      {...props}
      value={value}
      name="employee-picker"
      selectedLabel={selected.data ? fullName(selected.data) : undefined}
      search={async (q) => {
        const page = unwrap(
          await api.GET("/api/v1/employees", { params: { query: { q, page_size: 20, sort: "last_name" } } }),
        );
        return page.items.map((person) => ({
          value: person.id,
          label: `${fullName(person)}${person.employee_number ? ` (${person.employee_number})` : ""}`,
        }));
      }}
    />
  );
}
