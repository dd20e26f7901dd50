import { api, unwrap } from "../../api/client";
import { SearchSelect, type SearchSelectProps } from "../../components/SearchSelect";
import { useUser } from "./users";

/** Pick a user account by typing part of an email or name (the server searches). */
export function UserSelect({ value, ...props }: SearchSelectProps) {
  const selected = useUser(value);
  return (
    <SearchSelect
      {...props}
      value={value}
      name="user-picker"
      selectedLabel={selected.data ? `${selected.data.full_name} (${selected.data.email})` : (value ?? undefined)}
      search={async (q) => {
        const page = unwrap(await api.GET("/api/v1/users", { params: { query: { q, page_size: 20, sort: "full_name" } } }));
        return page.items.map((user) => ({ value: user.id, label: `${user.full_name} (${user.email})` }));
      }}
    />
  );
}
