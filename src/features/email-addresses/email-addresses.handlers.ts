import { addEmailAddress as addAddress } from "@/features/email-addresses/add";
import { deleteEmailAddress as deleteAddress } from "@/features/email-addresses/delete";
import { getEmailAddress as getAddress, listEmailAddresses as listAddresses } from "@/features/email-addresses/lookup";
import { setEmailAddressPrimary as setPrimary } from "@/features/email-addresses/primary";
import { provisionEpilotEmailAddress as provision } from "@/features/email-addresses/provision";
import { updateEmailAddress as updateAddress } from "@/features/email-addresses/update";
import type { AppRouteHandler } from "@/lib/types";
import type {
  AddEmailAddressRoute,
  DeleteEmailAddressRoute,
  GetEmailAddressRoute,
  ListEmailAddressesRoute,
  ProvisionEpilotEmailAddressRoute,
  SetEmailAddressPrimaryRoute,
  UpdateEmailAddressRoute,
} from "./email-addresses.routes";

export const listEmailAddresses: AppRouteHandler<ListEmailAddressesRoute> = async (c) => {
  const { orgId } = c.get("auth");
  return c.json(await listAddresses(c.get("services"), orgId), 200);
};

export const getEmailAddress: AppRouteHandler<GetEmailAddressRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id } = c.req.valid("param");
  return c.json(await getAddress(c.get("services"), orgId, id), 200);
};

export const addEmailAddress: AppRouteHandler<AddEmailAddressRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  return c.json(await addAddress(c.get("services"), orgId, userId, c.req.valid("json")), 201);
};

export const updateEmailAddress: AppRouteHandler<UpdateEmailAddressRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { id } = c.req.valid("param");
  return c.json(await updateAddress(c.get("services"), orgId, userId, id, c.req.valid("json")), 200);
};

export const deleteEmailAddress: AppRouteHandler<DeleteEmailAddressRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const { id } = c.req.valid("param");
  await deleteAddress(c.get("services"), orgId, id);
  return c.body(null, 204);
};

export const setEmailAddressPrimary: AppRouteHandler<SetEmailAddressPrimaryRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { address } = c.req.valid("json");
  return c.json(await setPrimary(c.get("services"), orgId, userId, address), 200);
};

export const provisionEpilotEmailAddress: AppRouteHandler<ProvisionEpilotEmailAddressRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { address } = c.req.valid("json");
  return c.json(await provision(c.get("services"), orgId, userId, address), 200);
};
