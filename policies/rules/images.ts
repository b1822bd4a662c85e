// Images: pinned by tag or digest (never latest), only from allowed registries, and each
// container the image its record names.
import { isWorkloadName, records, thirdPartyRegistries } from "../../core/contract/index";
import { imageOf, imageRegistry as registryOf, imageRepository, imageTag as tagOf } from "../../core/images";
import { containersOf, workloads } from "../engine/objects";
import type { Rule, Violation } from "../engine/types";

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
  {
    id: "IMG003",
    theme: "images",
    severity: "error",
    title: "each container runs the image its record names",
    fix: "Use the image of the workload's record (core/contract/workloads.ts; Online Boutique and order persistence: as the settings name them), or change the record.",
    check: ({ manifests, settings }) =>
      allImages(manifests).flatMap(({ manifest, container, path, image }): Violation[] => {
        const workload = manifest.object.metadata?.name;
        if (!isWorkloadName(workload)) return []; // RES004 reports workloads the contract does not know
        const source = records[workload].containers[container.name]?.image;
        const named = source && imageOf(source, settings?.images);
        const expected = named && imageRepository(named);
        return expected && imageRepository(image) !== expected ? [{ manifest, path: `${path}/image`, message: `container ${container.name} runs ${imageRepository(image)}, its record says ${expected}` }] : [];
      }),
  },
];
