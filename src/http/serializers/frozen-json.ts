// JSON for frozen views, serialized once per view and route schema instead of once per response.
import type { FastifyReply } from 'fastify';

type Serialize = (payload: unknown) => string;

// Keyed by the route's compiled serializer, then by the view: the same view under another schema is serialized anew.
const cache = new WeakMap<Serialize, WeakMap<object, string>>();

/**
 * The 200 body for `view`, by the route's response schema as Fastify would serialize it, but computed once while the
 * view lives: GET /account serves the same account view, from the directory, on every call. Only frozen views are
 * cached (a frozen object cannot change under its cached text); others are serialized as usual.
 */
export function frozenJson(reply: FastifyReply, view: object): string | object {
  const serialize = reply.getSerializationFunction('200') as Serialize | undefined;
  if (serialize === undefined || !Object.isFrozen(view)) return view;
  let byView = cache.get(serialize);
  if (byView === undefined) {
    byView = new WeakMap();
    cache.set(serialize, byView);
  }
  let json = byView.get(view);
  if (json === undefined) {
    json = serialize(view);
    byView.set(view, json);
  }
  // A string with a JSON content type is sent as it is, without a second serialization.
  reply.type('application/json; charset=utf-8');
  return json;
}
