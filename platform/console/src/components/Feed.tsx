import { useEffect, useRef, useState } from "react";
import type { Api, Schemas } from "../api/client";
import { When } from "./ui";

type Event = Schemas["EventView"];
const POLL_MS = 2000;

/** The live activity feed: polls the events cursor (`next_cursor` is always where to poll from next). */
export function Feed({ api, onNew }: { api: Api; onNew: () => void }) {
  const [events, setEvents] = useState<Event[]>([]);
  const cursor = useRef<string | null>(null);
  const onNewRef = useRef(onNew);
  onNewRef.current = onNew;
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        const answer = await api.GET("/v1/events", {
          params: { query: { limit: 200, ...(cursor.current ? { cursor: cursor.current } : {}) } },
        });
        if (live && answer.data) {
          const first = cursor.current === null;
          cursor.current = answer.data.next_cursor ?? cursor.current;
          if (answer.data.items.length > 0) {
            setEvents((old) => [...answer.data.items.slice().reverse(), ...old].slice(0, 100));
            if (!first) onNewRef.current();
          }
          if (answer.data.items.length === 200) {
            timer = setTimeout(poll, 0); // catching up
            return;
          }
        }
      } catch {
        // the service is away: keep polling
      }
      if (live) timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [api]);
  return (
    <aside className="feed card" aria-labelledby="feed-title">
      <h2 id="feed-title">Activity</h2>
      <ol aria-live="polite" aria-relevant="additions">
        {events.slice(0, 30).map((e) => (
          <li key={e.id}>
            <span className="event-name">{e.event.replace(/([a-z])([A-Z])/g, "$1 $2")}</span>{" "}
            <span className="muted">{e.contract}</span> <When value={e.block_timestamp} />
          </li>
        ))}
        {events.length === 0 ? <li className="muted">Nothing yet.</li> : null}
      </ol>
    </aside>
  );
}
