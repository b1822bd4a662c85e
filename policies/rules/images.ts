// Images: pinned by tag or digest (never latest) and only from allowed registries.
import { thirdPartyRegistries } from "../../core/contract/index";
import { imageRegistry as registryOf, imageTag as tagOf } from "../../core/images";
import { containersOf, workloads } from "../engine/objects";
import type { Rule } from "../engine/types";

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
    fix: "Pull from the environment's registries (settings images.registry, images.orderPersistence) or the registry of an image pinned in the contract's records.",
    check: ({ manifests, settings }) => {
      const allowed = [...thirdPartyRegistries, ...(settings ? [settings.images.registry, registryOf(settings.images.orderPersistence)] : [])];
      return allImages(manifests)
        .filter(({ image }) => !allowed.includes(registryOf(image)))
        .map(({ manifest, container, path, image }) => ({ manifest, path: `${path}/image`, message: `container ${container.name} pulls from ${registryOf(image)}, not an allowed registry (${allowed.join(", ")})` }));
    },
  },
];
