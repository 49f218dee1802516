// Types of streamhub.js: a viewer of one StreamHub stream.

/** Every message a viewer receives: `{id, event, data}`. */
export type ServerMessage =
  | { id: number; event: "stream_state"; data: StreamState }
  | { id: number; event: "viewer_count_changed"; data: MessageCommon & { viewer_count: number; peak_viewers: number } }
  | { id: number; event: "stream_started"; data: MessageCommon & Record<string, unknown> }
  | { id: number; event: "stream_ended"; data: MessageCommon & { peak_viewers: number } & Record<string, unknown> }
  | { id: number; event: "quality_changed"; data: MessageCommon & Record<string, unknown> };

export interface MessageCommon {
  stream_id: string;
  /** UTC with milliseconds, e.g. `2026-11-25T16:55:50.575Z`. */
  timestamp: string;
}

export interface StreamState extends MessageCommon {
  status: "offline" | "live" | "ended";
  viewer_count: number;
  peak_viewers: number;
  /** The `data` of the last `quality_changed`, or null before any. */
  quality: Record<string, unknown> | null;
  epoch: string;
  /** Only when the connection asked to resume: whether every missed event follows. */
  recovered?: boolean;
}

export type ViewerStatus = "connecting" | "open" | "reconnecting" | "closed";

/** A resume the hub could not serve: the events after `since` in `epoch` are gone; the next `stream_state` is current. */
export interface Gap {
  since: number;
  epoch: string;
}

export interface ViewerOptions {
  /** Asked before every connect when viewer tokens are on; may return a promise. */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** Every published event exactly once and in id order across reconnects; every `stream_state` and `viewer_count_changed` as it arrives. */
  onMessage?: (message: ServerMessage) => void;
  onStatus?: (status: ViewerStatus) => void;
  onGap?: (gap: Gap) => void;
  /** Resume with `since` and `epoch` after a reconnect (default true). */
  resume?: boolean;
}

export interface Viewer {
  /** Closes the connection and stops reconnecting. */
  close(): void;
  /** The id of the last event handed to `onMessage` (or of the last `stream_state`); null before any. */
  readonly lastId: number | null;
  /** The stream's epoch from the last `stream_state`; null before any. */
  readonly epoch: string | null;
}

/** Opens a viewer connection to `streamID` on the hub at `hubURL` (its http(s):// or ws(s):// origin). */
export function connectViewer(hubURL: string, streamID: string, options?: ViewerOptions): Viewer;
