//! The LFS uploads, a few objects at a time, each by the transfer its batch answer names.

use super::*;

impl CommitBuilder {
    pub(super) async fn upload_lfs(
        &self,
        uploads: Vec<LfsUpload>,
        reporter: &Reporter,
    ) -> Result<()> {
        if uploads.is_empty() {
            return Ok(());
        }
        reporter.phase(
            Phase::Uploading,
            uploads.len(),
            uploads.iter().map(|u| u.size).sum(),
        );
        let transport = self.hub.transport();
        let (client, answer_timeout) = match &self.storage_client {
            Some(client) => (client.clone(), None),
            None => (
                crate::client::http_client(transport.timeouts(), false, "storage HTTP client")?,
                Some(transport.timeouts().read),
            ),
        };
        let storage = Storage {
            client,
            retry: self
                .upload_settings
                .retry
                .unwrap_or_else(|| transport.retry_policy()),
            answer_timeout,
            part_concurrency: self.upload_settings.part_concurrency.max(1),
        };
        let reference = (!self.create_pr).then_some(self.revision.as_str());
        #[cfg(feature = "xet")]
        let offer_xet = crate::xet::usable(&self.hub);
        #[cfg(not(feature = "xet"))]
        let offer_xet = false;
        for chunk in uploads.chunks(MAX_OBJECTS_PER_BATCH) {
            let request = upload_request(
                chunk
                    .iter()
                    .map(|u| types::LfsObjectSpec::new(u.oid.clone(), u.size))
                    .collect(),
                reference,
                offer_xet,
            );
            let context = format!(
                "LFS batch for {} (nothing was committed)",
                name_files(chunk.iter().map(|u| &*u.path))
            );
            let answer = self
                .hub
                .lfs_batch(&self.repo, request)
                .send()
                .await
                .map_err(|e| with_context(e, &context))?;
            let mut by_oid: HashMap<String, types::LfsBatchObject> = answer
                .objects
                .into_iter()
                .map(|o| (o.oid.to_ascii_lowercase(), o))
                .collect();
            let mut jobs = Vec::with_capacity(chunk.len());
            for upload in chunk {
                let Some(object) = by_oid.remove(&upload.oid) else {
                    return Err(Error::Decode {
                        path: "objects".to_owned(),
                        message: format!(
                            "the LFS batch answer has no entry for {:?} (from {}, oid {}); nothing was committed",
                            upload.path,
                            upload.source.describe(),
                            upload.oid
                        ),
                    });
                };
                jobs.push((upload, object));
            }
            #[cfg(feature = "xet")]
            if offer_xet && answer.transfer == Some(types::LfsTransfer::Xet) {
                let objects = jobs
                    .into_iter()
                    .map(|(u, answer)| crate::commit::xet::XetObject {
                        path: &u.path,
                        source: &u.source,
                        oid: &u.oid,
                        size: u.size,
                        answer,
                    });
                crate::commit::xet::upload(&self.hub, objects.collect(), reporter).await?;
                continue;
            }
            futures::stream::iter(
                jobs.into_iter()
                    .map(|(upload, object)| self.upload_one(&storage, upload, object, reporter)),
            )
            .buffer_unordered(self.upload_concurrency)
            .try_collect::<Vec<()>>()
            .await?;
        }
        Ok(())
    }

    pub(super) async fn upload_one(
        &self,
        storage: &Storage,
        upload: &LfsUpload,
        mut object: types::LfsBatchObject,
        reporter: &Reporter,
    ) -> Result<()> {
        // A verify on the Hub's own origin goes through the Hub client (with the token); one on
        // any other origin stays with the storage client (without it).
        let hub_verify = object.actions.as_mut().and_then(|actions| {
            let on_hub = actions.verify.as_ref().is_some_and(|v| {
                Url::parse(&v.href).is_ok_and(|u| self.hub.transport().is_endpoint_origin(&u))
            });
            if on_hub { actions.verify.take() } else { None }
        });
        let callback = reporter.bytes_callback(Phase::Uploading, &upload.path, Some(upload.size));
        let outcome = upload_object(
            storage,
            &object,
            upload.size,
            &upload.source,
            &upload.path,
            callback,
        )
        .await
        .map_err(|e| with_context(e, "LFS upload failed, nothing was committed"))?;
        if outcome != UploadOutcome::AlreadyStored
            && let Some(verify) = hub_verify
        {
            let context = format!(
                "LFS verify of {:?} (from {}), oid {} (nothing was committed)",
                upload.path,
                upload.source.describe(),
                upload.oid
            );
            let url = Url::parse(&verify.href).map_err(|e| Error::Decode {
                path: "actions.verify.href".to_owned(),
                message: format!("{context}: invalid URL: {e}"),
            })?;
            let mut request = Request::new(Method::POST, url);
            for (name, value) in verify.header.iter().flatten() {
                if name.eq_ignore_ascii_case("chunk_size") {
                    continue;
                }
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(value),
                ) {
                    request.headers_mut().insert(name, value);
                }
            }
            request
                .headers_mut()
                .insert(ACCEPT, HeaderValue::from_static(LFS_CONTENT_TYPE));
            request
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(LFS_CONTENT_TYPE));
            let body =
                serde_json::to_vec(&types::LfsObjectSpec::new(upload.oid.clone(), upload.size))
                    .map_err(|e| {
                        Error::invalid("verify body", upload.oid.as_str(), e.to_string())
                    })?;
            *request.body_mut() = Some(body.into());
            self.hub
                .send(request, "lfs_verify")
                .await
                .map_err(|e| with_context(e, &context))?;
        }
        tracing::debug!(path = %upload.path, ?outcome, "LFS object ready");
        reporter.file_done(Phase::Uploading, &upload.path, upload.size);
        Ok(())
    }
}
