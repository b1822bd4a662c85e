// Container image references ("registry/path/name:tag@digest"), with Docker Hub's implicit
// names spelled out, so "redis:7" and "docker.io/library/redis:7" compare equal.
import type { ImageSource } from "./contract/types";

/** What the settings say of images (settings.images): the Online Boutique registry and tag, and our own images. */
export type ImageSettings = { registry: string; tag: string } & Record<Extract<ImageSource, { setting: string }>["setting"], string>;

/**
 * The image a record's source names, as rendered (Online Boutique and our own: as the settings
 * name them); undefined when only the settings could say and they are unknown.
 */
export function imageOf(source: ImageSource, images: ImageSettings): string;
export function imageOf(source: ImageSource, images: ImageSettings | undefined): string | undefined;
export function imageOf(source: ImageSource, images: ImageSettings | undefined): string | undefined {
  if ("pinned" in source) return source.pinned;
  if (!images) return undefined;
  if ("onlineBoutique" in source) return `${images.registry}/${source.onlineBoutique}:${images.tag}`;
  return images[source.setting];
}

/** The reference without its digest. */
function withoutDigest(image: string): string {
  return image.split("@")[0]!;
}

/** Registry + path of an image reference, without the image's own name: "docker.io/library" for "redis:7". */
export function imageRegistry(image: string): string {
  const reference = withoutDigest(image);
  const lastSlash = reference.lastIndexOf("/");
  if (lastSlash === -1) return "docker.io/library";
  const repository = reference.slice(0, lastSlash);
  const first = repository.split("/")[0]!;
  const hasRegistryHost = first.includes(".") || first.includes(":") || first === "localhost";
  if (!hasRegistryHost) return `docker.io/${repository}`;
  // docker.io/redis:7 is Docker Hub's library/redis, like plain redis:7.
  return repository === "docker.io" || repository === "index.docker.io" ? "docker.io/library" : repository;
}

/** Registry, path and name, without tag or digest: what an image is, whatever version. */
export function imageRepository(image: string): string {
  const reference = withoutDigest(image);
  const name = reference.slice(reference.lastIndexOf("/") + 1).split(":")[0]!;
  return `${imageRegistry(image)}/${name}`;
}

/** The tag of an image reference, or undefined (digest-only references have none). */
export function imageTag(image: string): string | undefined {
  const reference = withoutDigest(image);
  const name = reference.slice(reference.lastIndexOf("/") + 1);
  return name.includes(":") ? name.slice(name.indexOf(":") + 1) : undefined;
}
