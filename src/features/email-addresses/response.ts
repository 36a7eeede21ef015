import type { EmailAddressRow } from "@/db/schema";

/** An address as the API answers it (the EmailAddressResponse of the contract). */
export interface EmailAddressView {
  id: string;
  address: string;
  name?: string;
  user_ids: string[];
  group_ids: string[];
  default_signature_id?: string;
  shared_inbox_id: string;
  is_active: boolean;
  is_primary: boolean;
  is_epilot_email_address: boolean;
  created_at: string;
  updated_at: string;
  created_by?: string;
  updated_by?: string;
}

export function toEmailAddressResponse(row: EmailAddressRow): EmailAddressView {
  return {
    id: row.id,
    address: row.address,
    ...(row.name != null && { name: row.name }),
    user_ids: row.userIds,
    group_ids: row.groupIds,
    ...(row.defaultSignatureId != null && { default_signature_id: row.defaultSignatureId }),
    shared_inbox_id: row.sharedInboxId,
    is_active: row.isActive,
    is_primary: row.isPrimary,
    is_epilot_email_address: row.isEpilotEmailAddress,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    ...(row.createdBy != null && { created_by: row.createdBy }),
    ...(row.updatedBy != null && { updated_by: row.updatedBy }),
  };
}
