import type { ContainerRecord } from '../../services/index.js';
import type { ContainerService, EventBus, ImageService } from '../../services/index.js';
import type { InspectPaths } from './convert.js';

export interface SystemFacts {
  id: string;
  name: string;
  version: string;
  apiVersion: string;
  minApiVersion: string;
  dataRoot: string;
  driver: string;
  runtimePath: string;
  kernelVersion: string;
  operatingSystem: string;
  cgroupVersion: '1' | '2';
}

export interface EngineDeps {
  containers: ContainerService;
  images: ImageService;
  bus: EventBus;
  system: SystemFacts;
  inspectPaths(c: ContainerRecord): InspectPaths;
  layerPath(chainId: string): string;
  log(msg: string, err?: unknown): void;
}
