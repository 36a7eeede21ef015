import { createRoute, z } from "@hono/zod-openapi";
import {
  CreateEmailAddressPayloadSchema,
  EmailAddressIdParamSchema,
  EmailAddressResponseSchema,
  ProvisionEpilotEmailAddressPayloadSchema,
  SetEmailAddressPrimaryPayloadSchema,
  UpdateEmailAddressPayloadSchema,
} from "@/features/email-addresses/email-addresses.schemas";
import { authenticatedErrors, bodyErrors, errorResponses, jsonBody, jsonContent } from "@/lib/openapi-helpers";

const tags = ["Email addresses"];
const BASE = "/v2/email-settings/email-addresses";

export const provisionEpilotEmailAddress = createRoute({
  operationId: "provisionEpilotEmailAddress",
  method: "put",
  path: `${BASE}/epilot:provision`,
  tags,
  summary: "Provision the org's platform-managed (@EPILOT_EMAIL_DOMAIN) address",
  request: { body: jsonBody(ProvisionEpilotEmailAddressPayloadSchema, "The platform address to provision") },
  responses: {
    200: jsonContent(EmailAddressResponseSchema, "The provisioned, active address"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(409),
  },
});

export const setEmailAddressPrimary = createRoute({
  operationId: "setEmailAddressPrimary",
  method: "post",
  path: `${BASE}/primary`,
  tags,
  summary: "Make an address the org's primary sender",
  request: { body: jsonBody(SetEmailAddressPrimaryPayloadSchema, "The address (or its id) to make primary") },
  responses: {
    200: jsonContent(EmailAddressResponseSchema, "The new primary address"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 409),
  },
});

export const getEmailAddress = createRoute({
  operationId: "getEmailAddress",
  method: "get",
  path: `${BASE}/{id}`,
  tags,
  summary: "Get one sender address",
  request: { params: EmailAddressIdParamSchema },
  responses: {
    200: jsonContent(EmailAddressResponseSchema, "The address"),
    ...authenticatedErrors,
    ...errorResponses(404),
  },
});

export const deleteEmailAddress = createRoute({
  operationId: "deleteEmailAddress",
  method: "delete",
  path: `${BASE}/{id}`,
  tags,
  summary: "Delete a sender address",
  request: { params: EmailAddressIdParamSchema },
  responses: {
    204: { description: "Deleted" },
    ...authenticatedErrors,
    ...errorResponses(404),
  },
});

export const updateEmailAddress = createRoute({
  operationId: "updateEmailAddress",
  method: "put",
  path: `${BASE}/{id}`,
  tags,
  summary: "Change some fields of a sender address",
  request: {
    params: EmailAddressIdParamSchema,
    body: jsonBody(UpdateEmailAddressPayloadSchema, "Fields to change; omitted fields stay as they are"),
  },
  responses: {
    200: jsonContent(EmailAddressResponseSchema, "The updated address"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 409),
  },
});

export const listEmailAddresses = createRoute({
  operationId: "listEmailAddresses",
  method: "get",
  path: BASE,
  tags,
  summary: "List the org's sender addresses in creation order",
  responses: {
    200: jsonContent(z.array(EmailAddressResponseSchema), "The org's addresses, oldest first"),
    ...authenticatedErrors,
  },
});

export const addEmailAddress = createRoute({
  operationId: "addEmailAddress",
  method: "post",
  path: BASE,
  tags,
  summary: "Add a sender address",
  request: { body: jsonBody(CreateEmailAddressPayloadSchema, "The address to add") },
  responses: {
    201: jsonContent(EmailAddressResponseSchema, "The new address: active, not primary"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(409),
  },
});

export type ProvisionEpilotEmailAddressRoute = typeof provisionEpilotEmailAddress;
export type SetEmailAddressPrimaryRoute = typeof setEmailAddressPrimary;
export type GetEmailAddressRoute = typeof getEmailAddress;
export type DeleteEmailAddressRoute = typeof deleteEmailAddress;
export type UpdateEmailAddressRoute = typeof updateEmailAddress;
export type ListEmailAddressesRoute = typeof listEmailAddresses;
export type AddEmailAddressRoute = typeof addEmailAddress;
