import { Alert } from "@mantine/core";
import { Component, type ReactNode } from "react";

/** One card that fails to render does not take the dashboard down with it. */
export class CardBoundary extends Component<{ children: ReactNode; message: string }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render() {
    if (this.state.failed) {
      return (
        <Alert color="red" role="alert">
          {this.props.message}
        </Alert>
      );
    }
    return this.props.children;
  }
}
