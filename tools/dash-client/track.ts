// The two tracks a player fetches side by side.
export type Track = "video" | "audio";
