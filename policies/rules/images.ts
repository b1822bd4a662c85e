// Images: pinned by tag or digest (never latest) and only from allowed registries.
import { thirdPartyRegistries } from "../contract";
import { containersOf, workloads } from "../engine/objects";
import type { Rule } from "../engine/types";

/** Registry + repository path of an image reference, with Docker Hub's implicit names spelled out. */
export function registryOf(image: string): string {
  const withoutDigest = image.split("@")[0]!;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const repository = withoutDigest.slice(0, lastSlash === -1 ? undefined : lastSlash);
  if (lastSlash === -1) return "docker.io/library";
  const first = repository.split("/")[0]!;
  const hasRegistryHost = first.includes(".") || first.includes(":") || first === "localhost";
  if (!hasRegistryHost) return `docker.io/${repository}`;
  // docker.io/redis:7 is Docker Hub's library/redis, like plain redis:7.
  return repository === "docker.io" || repository === "index.docker.io" ? "docker.io/library" : repository;
}

/** The tag of an image reference, or undefined (digest-only references have none). */
function tagOf(image: string): string | undefined {
  const withoutDigest = image.split("@")[0]!;
  const name = withoutDigest.slice(withoutDigest.lastIndexOf("/") + 1);
  return name.includes(":") ? name.slice(name.indexOf(":") + 1) : undefined;
}

function allImages(manifests: Parameters<typeof workloads>[0]) {
  return workloads(manifests).flatMap((manifest) => containersOf(manifest.object).map((ref) => ({ manifest, ...ref, image: String(ref.container.image ?? "") })));
}

export const imageRules: Rule[] = [
  {
    id: "IMG001",
    theme: "images",
    severity: "error",
    title: "images are pinned by tag or digest, never latest",
    fix: "Use an explicit version tag (or a digest) instead of latest or no tag.",
    check: ({ manifests }) =>
      allImages(manifests)
        .filter(({ image }) => !image.includes("@sha256:") && (tagOf(image) === undefined || tagOf(image) === "latest"))
        .map(({ manifest, container, path }) => ({ manifest, path: `${path}/image`, message: `container ${container.name} image ${container.image} is not pinned` })),
  },
  {
    id: "IMG002",
    theme: "images",
    severity: "error",
    title: "images come from allowed registries",
    fix: "Pull from the environment's registries (settings images.registry, images.orderPersistence) or one of the contract's thirdPartyRegistries.",
    check: ({ manifests, settings }) => {
      const allowed = [...thirdPartyRegistries, ...(settings ? [settings.images.registry, registryOf(settings.images.orderPersistence)] : [])];
      return allImages(manifests)
        .filter(({ image }) => !allowed.includes(registryOf(image)))
        .map(({ manifest, container, path, image }) => ({ manifest, path: `${path}/image`, message: `container ${container.name} pulls from ${registryOf(image)}, not an allowed registry (${allowed.join(", ")})` }));
    },
  },
];
