import "@mantine/dropzone/styles.css";

import { Group, Text } from "@mantine/core";
import { Dropzone, type DropzoneProps } from "@mantine/dropzone";
import { IconUpload, IconX } from "@tabler/icons-react";
import type { ReactNode } from "react";

interface FileDropProps {
  onDrop: DropzoneProps["onDrop"];
  onReject: DropzoneProps["onReject"];
  accept?: DropzoneProps["accept"];
  disabled: boolean;
  /** The input's accessible name ("File" on the upload form, as tests rely on). */
  label: string;
  /** The id of the element that says which file was chosen (or why it was refused). */
  describedBy: string;
  /** What the area shows while nothing is dragged over it. */
  idleIcon: ReactNode;
  title: string;
  hint: string;
  minHeight: number;
}

/** One file, dropped or chosen: the drop area the upload form and the import page share. */
export function FileDrop({
  onDrop,
  onReject,
  accept,
  disabled,
  label,
  describedBy,
  idleIcon,
  title,
  hint,
  minHeight,
}: FileDropProps) {
  return (
    <Dropzone
      onDrop={onDrop}
      onReject={onReject}
      multiple={false}
      {...(accept === undefined ? {} : { accept })}
      disabled={disabled}
      inputProps={{ "aria-label": label, "aria-describedby": describedBy }}
      aria-describedby={describedBy}
    >
      <Group justify="center" gap="md" mih={minHeight} style={{ pointerEvents: "none" }} wrap="nowrap">
        <Dropzone.Accept>
          <IconUpload size={40} aria-hidden />
        </Dropzone.Accept>
        <Dropzone.Reject>
          <IconX size={40} aria-hidden />
        </Dropzone.Reject>
        <Dropzone.Idle>{idleIcon}</Dropzone.Idle>
        <div>
          <Text size="md" fw={500}>
            {title}
          </Text>
          <Text size="sm" c="dimmed">
            {hint}
          </Text>
        </div>
      </Group>
    </Dropzone>
  );
}
