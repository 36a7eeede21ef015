import { conflict, notFound } from "@/lib/errors";

export const addressNotFound = (idOrAddress: string) => notFound(`Email address '${idOrAddress}' not found`);

export const primaryCannotBeDeactivated = (address: string) =>
  conflict(`'${address}' is the primary address and cannot be deactivated; make another address primary first`);

export const inactiveCannotBePrimary = (address: string) =>
  conflict(`'${address}' is inactive and cannot be primary; activate it first`);

export const addressTaken = (address: string) =>
  conflict(`Email address '${address}' already exists in this organization`);

/** A platform address another org holds; who holds it is not said. */
export const addressNotAvailable = (address: string) => conflict(`'${address}' is not available; choose another name`);
