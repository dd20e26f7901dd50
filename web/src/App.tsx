import { MantineProvider } from "@mantine/core";
import { ModalsProvider } from "@mantine/modals";
import { useMediaQuery } from "@mantine/hooks";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createBrowserRouter, RouterProvider } from "react-router";

import { ApiError } from "./api/errors";
import { AuthProvider } from "./auth/AuthContext";
import { RequireAuth } from "./auth/RequireAuth";
import { PageLoader } from "./components/PageLoader";
import { RouteError } from "./components/RouteError";
import { UpdatePrompt } from "./components/UpdatePrompt";
import { Shell } from "./layout/Shell";
import { contrastVariables, memoryColorScheme, styleNonce, theme } from "./theme";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // A refusal or a missing record will not change by asking again.
      retry: (failures, error) =>
        failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      refetchOnWindowFocus: false,
    },
  },
});

// Each page is its own chunk, loaded when first visited.
const router = createBrowserRouter([
  {
    path: "/login",
    hydrateFallbackElement: <PageLoader />,
    lazy: async () => ({ Component: (await import("./pages/LoginPage")).LoginPage }),
  },
  {
    element: (
      <RequireAuth>
        <Shell />
      </RequireAuth>
    ),
    errorElement: <RouteError />,
    hydrateFallbackElement: <PageLoader />,
    children: [
      {
        index: true,
        lazy: async () => ({ Component: (await import("./pages/dashboard/DashboardPage")).DashboardPage }),
      },
      {
        path: "directory",
        lazy: async () => ({ Component: (await import("./pages/directory/DirectoryPage")).DirectoryPage }),
      },
      {
        path: "directory/:id",
        lazy: async () => ({ Component: (await import("./pages/directory/PersonPage")).PersonPage }),
      },
      {
        path: "team",
        lazy: async () => ({ Component: (await import("./pages/directory/TeamPage")).TeamPage }),
      },
      {
        path: "my-documents",
        lazy: async () => ({ Component: (await import("./pages/directory/MyDocumentsPage")).MyDocumentsPage }),
      },
      {
        path: "employees",
        lazy: async () => ({ Component: (await import("./pages/employees/EmployeesPage")).EmployeesPage }),
      },
      {
        path: "employees/new",
        lazy: async () => ({ Component: (await import("./pages/employees/EmployeeFormPage")).NewEmployeePage }),
      },
      {
        path: "employees/import",
        lazy: async () => ({ Component: (await import("./pages/employees/ImportPage")).ImportPage }),
      },
      {
        path: "employees/:id",
        lazy: async () => ({ Component: (await import("./pages/employees/EmployeePage")).EmployeePage }),
      },
      {
        path: "employees/:id/edit",
        lazy: async () => ({ Component: (await import("./pages/employees/EmployeeFormPage")).EditEmployeePage }),
      },
      {
        path: "departments",
        lazy: async () => ({ Component: (await import("./pages/departments/DepartmentsPage")).DepartmentsPage }),
      },
      {
        path: "documents",
        lazy: async () => ({ Component: (await import("./pages/documents/DocumentsPage")).DocumentsPage }),
      },
      {
        path: "reports",
        lazy: async () => ({ Component: (await import("./pages/reports/ReportsPage")).ReportsPage }),
      },
      {
        path: "users",
        lazy: async () => ({ Component: (await import("./pages/users/UsersPage")).UsersPage }),
      },
      {
        path: "audit",
        lazy: async () => ({ Component: (await import("./pages/audit/AuditPage")).AuditPage }),
      },
      {
        path: "*",
        lazy: async () => ({ Component: (await import("./pages/NotFoundPage")).NotFoundPage }),
      },
    ],
  },
]);

/** Toasts at the top right; on a phone at the bottom, above the bottom bar, where they
 * cover neither the header nor a dialog's close button. */
function Toasts() {
  const phone = useMediaQuery("(max-width: 48em)");
  return phone ? (
    <Notifications position="bottom-center" style={{ marginBottom: "calc(64px + env(safe-area-inset-bottom))" }} />
  ) : (
    <Notifications position="top-right" />
  );
}

export function App() {
  return (
    <MantineProvider
      theme={theme}
      defaultColorScheme="auto"
      colorSchemeManager={memoryColorScheme()}
      getStyleNonce={styleNonce}
      cssVariablesResolver={contrastVariables}
    >
      <QueryClientProvider client={queryClient}>
        <AuthProvider>
          <ModalsProvider>
            <Toasts />
            <UpdatePrompt />
            <RouterProvider router={router} />
          </ModalsProvider>
        </AuthProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
